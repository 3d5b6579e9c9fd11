/**
 * Maintenance mode routes (issue 16; tunasync-rs's names): `GET
 * /maintenance` (read scope) answers `{"enabled": false}` or `{"enabled":
 * true, "message", "since", "until"?}`; `POST /maintenance {"message",
 * "until"?}` switches it on and `DELETE /maintenance` off (admin). The state
 * is in the store (it survives restarts and is shared by managers on one
 * store) and ends by itself at `until`. Workers learn it from the heartbeat
 * answer.
 */
import { parseMaintenanceRequest, serializeMaintenance } from '@tunasync/core';
import type { Request, Response } from 'express';
import type { ManagerRouteModule } from '../route-module.js';

/** The maintenance routes; `changed` is told after each switch (the dispatcher sends held alerts when it goes off). */
export function maintenanceRoutes(changed?: () => void): ManagerRouteModule {
  return {
    name: 'maintenance',
    mount(router, { store, auth, jsonBody, clock, logger }) {
      router.get('/maintenance', auth.read, async (_req: Request, res: Response) => {
        res.json(serializeMaintenance(await store.getMaintenance()));
      });
      router.post('/maintenance', auth.admin, jsonBody, async (req: Request, res: Response) => {
        const wanted = parseMaintenanceRequest(req.body, clock.now());
        const state = await store.setMaintenance(wanted);
        logger.info(`maintenance mode on${state.until ? ` until ${state.until.toISOString()}` : ''}: ${state.message}`);
        changed?.();
        res.json(serializeMaintenance(state));
      });
      router.delete('/maintenance', auth.admin, async (_req: Request, res: Response) => {
        const was = await store.clearMaintenance();
        if (was) logger.info('maintenance mode off');
        changed?.();
        res.json(serializeMaintenance(undefined));
      });
    },
  };
}

/**
 * `POST /workers/:id/heartbeat` (tunasync-rs's route; that worker's token):
 * refreshes the worker's `last_online` and answers `{"worker", "last_online",
 * "maintenance"}` where `maintenance` is the `GET /maintenance` object, so
 * our worker learns maintenance mode from it. The body is ignored (tunasync-rs
 * sends none). A worker heard from again after being offline raises
 * `worker_online`. An unknown worker gets tunasync's 400 `invalid workerID`
 * with code `invalid_worker_id` (our worker registers again).
 */
import { ValidationError, serializeMaintenance } from '@tunasync/core';
import type { Request, Response } from 'express';
import type { Notifier } from '../notify/notifier.js';
import type { ManagerRouteModule } from '../route-module.js';
import { workerOnline } from './online.js';

/** The heartbeat route; `notifier` gets the `worker_online` transitions. */
export function heartbeatRoutes(notifier?: Notifier): ManagerRouteModule {
  return {
    name: 'heartbeat',
    mount(router, { store, auth, clock, logger }) {
      router.post('/workers/:id/heartbeat', auth.worker('id'), async (req: Request, res: Response) => {
        const id = typeof req.params.id === 'string' ? req.params.id : '';
        const now = clock.now();
        const previous = await store.getWorker(id);
        const stored = previous ? await store.refreshWorker(id, now) : undefined;
        if (!previous || !stored) throw new ValidationError(`invalid workerID ${id}`, 'id', 'invalid_worker_id');
        res.json({
          worker: id,
          last_online: stored.lastOnline.toISOString(),
          maintenance: serializeMaintenance(await store.getMaintenance()),
        });
        if (notifier?.enabled && !workerOnline(previous, now)) {
          notifier.workerBack(previous).catch((err: unknown) => logger.error(`worker_online alert for ${id}: ${(err as Error).message}`));
        }
      });
    },
  };
}

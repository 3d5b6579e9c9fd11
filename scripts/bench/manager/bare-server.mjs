// The HTTP ceiling for the manager benchmark: a bare express app answering
// the same status report with the same JSON parsing, and no store.
import express from 'express';

const app = express();
app.use(express.json({ limit: 1024 * 1024, type: () => true }));
app.post('/workers/:id/jobs/:job', (req, res) => res.json({ ...req.body, worker: req.params.id }));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

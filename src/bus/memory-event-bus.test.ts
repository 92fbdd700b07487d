import { describeEventBusContract } from './event-bus.contract.js';
import { MemoryBroker } from './memory-event-bus.js';

describeEventBusContract('in-process', async () => {
  const broker = new MemoryBroker();
  return { bus: broker.connect(), reopen: async () => broker.connect(), cleanup: async () => {} };
});

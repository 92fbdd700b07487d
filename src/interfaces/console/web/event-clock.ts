import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

/**
 * The event clock: the time of the latest event the twins applied (`GET /health`; simulated time
 * while the sandbox runs), null before the first. The console's one clock: every time on screen
 * is an event time.
 */
export const EventClockContext = createContext<string | null>(null);

/** The event clock's time now (ISO), for pages that need "now" (as-of reads, ages). */
export const useEventClock = () => useContext(EventClockContext);

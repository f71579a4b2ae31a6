export { ManualClock, systemClock, type Clock, type Timer } from "../shared/clock";

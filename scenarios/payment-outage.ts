// The flagship: payments goes down for 30 s in the middle of steady order traffic, and four designs
// of the microservices shop take it differently — on one seed, one workload, side by side.
//
//   sync               orders call payments over RPC inside an orchestrated saga, no breaker
//   sync+breaker       the same calls under breaker + fallback + timeout + retry budget
//   async              orders accepted as PENDING; a choreographed saga over the event bus
//   sync+self-healing  no 30 s crash: payments crash-loops on a bad config for 5 starts and a
//                      supervisor restarts it with exponential back-off (CrashLoopBackOff)
//
// What to look at: sync loses availability on `POST /orders` for the whole outage (clients wait
// for the saga and time out); the breaker fails fast and parks sagas, so orders are answered
// PENDING and availability stays up; async accepts every order and pays in consistency instead —
// see timeToFinalP50Ms and timeToFinalP99Ms: orders caught by the outage finish only after
// payments is back, and those still waiting when the saga timeout (20 s) runs out are cancelled
// and compensated (ordersCancelled). Self-healing shortens the outage to the back-off sum
// (~16 s). In every design money is conserved, nothing is charged twice and every order ends
// CONFIRMED or CANCELLED.
import { paymentOutage } from './lib/payment-outage.ts';

export { paymentOutage, type PaymentOutageOptions } from './lib/payment-outage.ts';

export default paymentOutage();

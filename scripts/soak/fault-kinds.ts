/** The faults the soak injects (names as printed in its table and accepted by `SOAK_FAULTS`). */
export const FAULT_KINDS = ['worker-kill', 'gateway-restart', 'redis-restart', 'mongodb-restart', 'service-restart'] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

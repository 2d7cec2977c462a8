export { freePort } from './free-port';
export { startRedis, pingRedis, redactedUrl, REDIS_CONFIG_FILE, IRedisOptions, IStartedService, IServiceOptions } from './redis';
export { startMongo, pingMongo } from './mongo';
export { startGateway, kernelSafeEnv, parseKernelLaunch, parsePreload, PreloadRefusedError, IStartedGateway, IGatewayOptions, KernelLaunchMode } from './gateway';
export { upStack, downStack, readStack, stackFile, IStackInfo, IUpOptions, IRunningStack } from './stack';
export { waitFor } from './wait-for';
export { repairStack, IRepairResult } from './repair';
export { repoRoot, nbgridHome, venvBin } from './paths';

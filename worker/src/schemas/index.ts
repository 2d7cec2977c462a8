/** Route schemas: the single source for validation, TypeScript types and the OpenAPI document. */
export * from './common';
export * from './name';
export * from './notebooks';
export * from './jobs';
export * from './system';
export * from './progress';
export * from './grid';
export * from './reduce';
export * from './schedules';
export * from './retention';
export * from './origin';

export * from './types';
export * from './directory';
export * from './wellKnown';
export { isGuid, nameBasedGuid, newGuid } from './ids';
export { sampleTenants } from './sampleTenants';

/** The pure domain layer: no I/O, no SDKs, no environment. */
export * from './appIdUri';
export * from './clouds';
export * from './errors';
export * from './graphIds';
export * from './handoff';
export * from './manifests';
export * from './naming';
export * from './observations';
export * from './pipeline';
export * from './registrationRequest';
export * from './serviceCatalog';
export * from './verify';
export * from './renewal';

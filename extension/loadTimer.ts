// Imported first by extension.ts, so this runs before the rest of the bundle
// is evaluated: activation logs how long loading took (bench/extension.mjs
// reads it).
export const loadStartedAt = performance.now();

export * from "./CuebxApi.ts"
export * from "./Errors.ts"
export * from "./RequestValidation.ts"
export * from "./system/SystemApi.ts"

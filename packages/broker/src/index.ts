export * from "./BrokerConnection.ts"

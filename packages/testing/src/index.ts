export * from "./FakeHttpServer.ts"
export * from "./HttpTest.ts"
export * from "./TcpProxy.ts"
export * from "./TestInfra.ts"

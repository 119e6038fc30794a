/** The messaging contract over the database-backed queues (no RabbitMQ: the embedded mode). */
import { Broker } from "../src/Broker.ts"
import { messagingContract } from "./MessagingContract.ts"

messagingContract("database-backed queues", Broker.layerDatabase, "database")

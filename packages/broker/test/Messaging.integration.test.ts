/** The messaging contract over RabbitMQ. */
import { Broker } from "../src/Broker.ts"
import { messagingContract } from "./MessagingContract.ts"

messagingContract("RabbitMQ", Broker.layerConnected, "rabbitmq")

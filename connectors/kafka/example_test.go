package kafka_test

import (
	"fmt"

	"github.com/knhk/knhk/connectors/kafka"
)

func ExampleParseURL() {
	a, err := kafka.ParseURL("kafka://k1:9093,k2/orders?group=knhk")
	fmt.Println(a.Brokers, a.Topic, a.Group, err)
	_, err = kafka.ParseURL("kafka://k1:99999/orders")
	fmt.Println(err)
	// Output:
	// [k1:9093 k2:9092] orders knhk <nil>
	// kafka: URL "kafka://k1:99999/orders": brokers "k1:99999": the port must be 1..65535
}

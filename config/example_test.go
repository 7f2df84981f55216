package config_test

import (
	"fmt"

	"github.com/knhk/knhk/config"
)

// Layers over the defaults: the environment, then a flag; each value keeps
// its origin.
func ExampleSettings() {
	s := config.New()
	// s.LoadFile("knhk.toml") would come first.
	if err := s.LoadEnv([]string{"KNHK_PIPELINE_TICK_ROWS=512", "KNHK_PIPELINE_RING=8192"}); err != nil {
		panic(err)
	}
	if err := s.Set("pipeline.tick_rows", "1024", config.FlagOrigin("tick-rows")); err != nil {
		panic(err)
	}
	fmt.Println(s.Pipeline.TickRows, s.Origin("pipeline.tick_rows"))
	fmt.Println(s.Pipeline.Ring, s.Origin("pipeline.ring"))
	fmt.Println(s.Pipeline.Budget, s.Origin("pipeline.budget"))

	// A value past its bound: the key, the value, the origin and the limit.
	_ = s.Set("pipeline.tick_rows", "2048", config.FlagOrigin("tick-rows"))
	fmt.Println(s.Validate())
	// Output:
	// 1024 flag --tick-rows
	// 8192 env KNHK_PIPELINE_RING
	// 8 default
	// config: flag --tick-rows: pipeline.tick_rows = 2048: pipeline: TickRows 2048 breaks the limit <= 1024
}

module github.com/knhk/knhk/gen

go 1.26

require (
	github.com/knhk/knhk v0.0.0
	github.com/mmcloughlin/avo v0.5.0
)

require (
	golang.org/x/mod v0.29.0 // indirect
	golang.org/x/sync v0.17.0 // indirect
	golang.org/x/sys v0.41.0 // indirect
	golang.org/x/tools v0.38.0 // indirect
)

replace github.com/knhk/knhk => ../

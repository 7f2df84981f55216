module github.com/knhk/knhk/gen

go 1.26

module github.com/knhk/knhk

go 1.26

module github.com/retold/retold/bindings/go

go 1.19

module github.com/truce-project/truce

go 1.26.8

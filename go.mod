module github.com/quartermaster-ops/quartermaster

go 1.26

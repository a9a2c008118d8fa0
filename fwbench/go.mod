module github.com/featherweight/xk6-featherweight/fwbench

go 1.26.0

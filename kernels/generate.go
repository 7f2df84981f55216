package kernels

//go:generate sh -c "cd ../gen && go run ./ops && go run ./amd64 -out ../kernels/kernels_amd64.s && go run ./arm64"

module reos.dev/tools/bareproxy

go 1.26.8

module parapet.dev/x509-oracle

go 1.26

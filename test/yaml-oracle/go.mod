module github.com/parapet/yaml-oracle

go 1.25.0

require (
	go.yaml.in/yaml/v2 v2.4.2
	k8s.io/apimachinery v0.34.13
	sigs.k8s.io/yaml v1.6.0
)

require sigs.k8s.io/json v0.0.0-20241014173422-cfa47c3a1cc8 // indirect

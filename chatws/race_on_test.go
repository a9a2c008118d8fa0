//go:build race

package chatws

const raceEnabled = true

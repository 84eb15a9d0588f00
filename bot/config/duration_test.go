package config

import (
	"math"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "0s", want: 0},
		{in: "2s", want: 2 * time.Second},
		{in: "1m", want: time.Minute},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "300ms", want: 300 * time.Millisecond},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "35d", want: 840 * time.Hour},
		{in: "1d", want: 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: ".5d", want: 12 * time.Hour},
		{in: "2d3h4m5s", want: 51*time.Hour + 4*time.Minute + 5*time.Second},
		{in: "1h1d", want: 25 * time.Hour},
		{in: "+1d", want: 24 * time.Hour},
		{in: "-1d12h", want: -36 * time.Hour},
		{in: "106751d", want: 106751 * 24 * time.Hour},
		{in: "", wantErr: `"", want a duration such as 90s, 15m, 36h, 35d or 1d12h`},
		{in: "5", wantErr: `"5", want a duration such as 90s, 15m, 36h, 35d or 1d12h`},
		{in: "d", wantErr: `"d", want a duration such as 90s, 15m, 36h, 35d or 1d12h`},
		{in: "-", wantErr: `"-", want a duration such as 90s, 15m, 36h, 35d or 1d12h`},
		{in: "1w", wantErr: `"1w", want a duration such as 90s, 15m, 36h, 35d or 1d12h`},
		{in: "1D", wantErr: `"1D", want a duration such as 90s, 15m, 36h, 35d or 1d12h`},
		{in: "1.2.3d", wantErr: `"1.2.3d", want a duration such as 90s, 15m, 36h, 35d or 1d12h`},
		{in: "1d 2h", wantErr: `"1d 2h", want a duration such as 90s, 15m, 36h, 35d or 1d12h`},
		{in: "two days", wantErr: `"two days", want a duration such as 90s, 15m, 36h, 35d or 1d12h`},
		{in: "106752d", wantErr: `"106752d", want at most 106751d23h47m16.854775807s`},
		{in: "106751d24h", wantErr: `"106751d24h", want at most 106751d23h47m16.854775807s`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || time.Duration(got) != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, time.Duration(got), err, tt.want)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{2 * time.Second, "2s"},
		{10 * time.Second, "10s"},
		{time.Minute, "1m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + time.Second, "1h0m1s"},
		{24 * time.Hour, "1d"},
		{36 * time.Hour, "1d12h"},
		{840 * time.Hour, "35d"},
		{24*time.Hour + 500*time.Millisecond, "1d500ms"},
		{-36 * time.Hour, "-1d12h"},
		{math.MaxInt64, "106751d23h47m16.854775807s"},
		{math.MinInt64, "-2562047h47m16.854775808s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := Duration(tt.in).String()
			if got != tt.want {
				t.Fatalf("Duration(%d).String() = %q, want %q", tt.in, got, tt.want)
			}
			if tt.in == math.MinInt64 {
				return // prints as Go does, beyond ParseDuration's range
			}
			back, err := ParseDuration(got)
			if err != nil || time.Duration(back) != tt.in {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v back", got, back, err, tt.in)
			}
		})
	}
}

func TestDurationYAML(t *testing.T) {
	var v struct {
		D Duration `yaml:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 1d12h\n"), &v); err != nil || time.Duration(v.D) != 36*time.Hour {
		t.Fatalf("Unmarshal = %v, %v; want 36h", v.D, err)
	}
	out, err := yaml.Marshal(v)
	if err != nil || string(out) != "d: 1d12h\n" {
		t.Fatalf("Marshal = %q, %v; want %q", out, err, "d: 1d12h\n")
	}
	err = yaml.Unmarshal([]byte("d: [1s]\n"), &v)
	if want := "yaml: unmarshal errors:\n  line 1: a list, want a duration such as 90s, 15m, 36h, 35d or 1d12h"; err == nil || err.Error() != want {
		t.Fatalf("Unmarshal(list) error = %v, want %q", err, want)
	}
}

package service

import (
	"context"
	"errors"
	"fmt"
	"io"

	"reos.dev/pkg/config"
)

// DemoSeed is the App.Seed of a service whose demo data goes into one
// organisation (SEED_ORG_ID, which make up sets to the demo org identity
// seeds; a service cannot read identity's tables to find it): without an
// organisation it says so and does nothing; outside MODE=mock it refuses;
// otherwise run seeds orgID and returns a line per thing it created and
// whether it created anything, which are printed.
func DemoSeed(mode, orgID string, run func(ctx context.Context, orgID string) (lines []string, changed bool, err error)) func(context.Context, io.Writer) error {
	return func(ctx context.Context, out io.Writer) error {
		if orgID == "" {
			fmt.Fprintln(out, "seed: SEED_ORG_ID is not set; nothing to do")
			return nil
		}
		if mode != config.ModeMock {
			return errors.New("seed: the demo data exists only in MODE=mock")
		}
		lines, changed, err := run(ctx, orgID)
		for _, line := range lines {
			fmt.Fprintln(out, "seed:", line)
		}
		if err != nil {
			return err
		}
		if !changed {
			fmt.Fprintln(out, "seed: nothing to do; the demo data is already there")
		}
		return nil
	}
}

package web_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-psa/switchboard/internal/testsupport"
)

// browser is the one Chromium of this test binary (nil when Chromium is absent); each test
// opens its own incognito context in it.
var (
	browser      context.Context
	noBrowserWhy string
)

const chromiumPath = "/usr/bin/chromium"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if _, err := os.Stat(chromiumPath); err != nil {
		noBrowserWhy = fmt.Sprintf("Chromium is not installed at %s (apt-get install -y chromium): browser tests skipped", chromiumPath)
		return testsupport.Main(m)
	}
	dir, err := os.MkdirTemp("", "sb-chromium-")
	if err != nil {
		noBrowserWhy = err.Error()
		return testsupport.Main(m)
	}
	defer os.RemoveAll(dir)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.UserDataDir(dir),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // start the browser once
		noBrowserWhy = "Chromium did not start: " + err.Error()
		return testsupport.Main(m)
	}
	browser = ctx
	return testsupport.Main(m)
}

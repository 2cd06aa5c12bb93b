// Package e2e holds the browser tests: real Chromium (Debian's /usr/bin/chromium, driven with chromedp)
// against the whole platform served in-process on a fresh SQLite database with a small demo city. Each
// journey is one test that clicks through the pages as a person would, at desktop and phone widths, and
// saves screenshots to $DANGJIAN_SCREENSHOTS (or the test's temporary folder).
//
// Without Chromium the tests skip, except with DANGJIAN_STRICT=1 (CI), where they fail.
// scripts/install-browser-deps installs Chromium and a CJK font on Debian. DANGJIAN_CHROMIUM names
// another browser binary.
package e2e

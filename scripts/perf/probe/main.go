// Command probe starts a server, times it from exec to the first 200 on a URL, optionally reads its
// resident memory some time after exec, then stops it (SIGTERM, then SIGKILL after 10 s). Used by
// scripts/perf/run.sh; prints one line of key=value pairs.
//
//	probe -url http://127.0.0.1:8099/healthz [-rss-after 5s] [-log FILE] -- /path/to/dangjian serve …
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

func main() {
	url := flag.String("url", "", "URL that answers 200 once the server is ready")
	rssAfter := flag.Duration("rss-after", 0, "read VmRSS this long after exec (0: do not)")
	timeout := flag.Duration("timeout", 60*time.Second, "give up if not ready by then")
	logPath := flag.String("log", "", "file for the server's stdout and stderr (default: discard)")
	flag.Parse()
	if *url == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: probe -url URL [-rss-after D] [-log FILE] -- COMMAND ARGS…")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the probe
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	}
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	var ready time.Duration
	for {
		if resp, err := client.Get(*url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ready = time.Since(start)
				break
			}
		}
		select {
		case err := <-exited:
			fail(fmt.Errorf("server exited before it was ready: %v", err))
		default:
		}
		if time.Since(start) > *timeout {
			stop()
			fail(fmt.Errorf("not ready after %s", *timeout))
		}
		time.Sleep(2 * time.Millisecond)
	}
	out := fmt.Sprintf("ready_ms=%.1f", float64(ready.Microseconds())/1000)
	if *rssAfter > 0 {
		time.Sleep(time.Until(start.Add(*rssAfter)))
		rss, err := vmRSS(cmd.Process.Pid)
		if err != nil {
			stop()
			fail(err)
		}
		out += " rss_kb=" + rss
	}
	stop()
	fmt.Println(out)
}

func vmRSS(pid int) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strings.TrimSuffix(strings.TrimSpace(v), " kB"), nil
		}
	}
	return "", fmt.Errorf("no VmRSS for pid %d", pid)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "probe:", err)
	os.Exit(1)
}

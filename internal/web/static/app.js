// Dangjian's only script. Pages work without it; it closes one hole the browser opens.
// Chromium keeps even no-store pages in its back/forward cache, so after logging out, Back would show
// the signed-in page again from memory. A page restored that way reloads, and the server decides.
addEventListener('pageshow', function (e) {
  if (e.persisted && document.body.classList.contains('signed-in')) location.reload();
});

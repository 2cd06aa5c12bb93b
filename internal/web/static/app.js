// Dangjian's only script. Pages work without it; it closes one hole the browser opens.
// Chromium keeps even no-store pages in its back/forward cache, so after logging out, Back would show
// the signed-in page again from memory. A page restored that way reloads, and the server decides.
addEventListener('pageshow', function (e) {
  if (e.persisted && document.body.classList.contains('signed-in')) location.reload();
});

// On a phone the menu starts folded (it is long); without the script it simply stays open.
addEventListener('DOMContentLoaded', function () {
  var menu = document.querySelector('nav.nav details.menu');
  if (menu && matchMedia('(max-width: 720px)').matches) menu.open = false;
});

// `#t=SECONDS` deep links (search results and shared moments link here): the player seeks there
// when the page opens and whenever the fragment changes. Media-fragment forms are read too:
// `t=npt:75`, `t=1:15`, and `t=75,90` (the end is ignored).
(function () {
  var video = document.getElementById('player');
  if (!video) return;

  function requested() {
    var match = /(?:^#|&)t=(?:npt:)?([^,&]+)/.exec(location.hash);
    if (!match) return NaN;
    return window.TapedeckTime.seconds(decodeURIComponent(match[1]).replace(/s$/, ''));
  }
  function seek() {
    var time = requested();
    if (!isFinite(time)) return;
    if (video.readyState >= 1) {
      video.currentTime = Math.min(time, video.duration || time);
    } else {
      // Only the page's first load: a source renewed later keeps its own position.
      video.addEventListener('loadedmetadata', function () { video.currentTime = Math.min(time, video.duration || time); },
                             { once: true });
    }
  }
  seek();
  window.addEventListener('hashchange', seek);
})();

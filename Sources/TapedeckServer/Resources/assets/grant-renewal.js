// Playback links are signed and short-lived. A page left open longer than they last (a paused
// lecture) asks Tapedeck for a fresh grant before they expire, with the credentials the page was
// opened with, and moves the video onto the new links where it was, playing or paused. A refused
// renewal (a revoked share, access withdrawn) is said plainly instead of leaving a dead player.
(function () {
  var holder = document.getElementById('playback');
  var video = document.getElementById('player');
  if (!holder || !video || !holder.dataset.renew) return;
  var problem = document.getElementById('playback-problem');
  var renewAt = Infinity, lastRenewal = Date.now(), timer = null, pending = false, ended = false, retryDelay = 5000;

  // By the seconds the server says the grant lasts, not by its expiry on a clock of our own.
  function schedule(grant) {
    renewAt = Date.now() + Math.max(0, grant.expires_in) * 800;
    clearTimeout(timer);
    timer = setTimeout(renew, Math.max(1000, renewAt - Date.now()));
  }

  var REFUSALS = {
    401: 'Your access to this recording has ended. Open the link you were given again, or sign in again.',
    403: 'This recording is no longer available to you.',
    404: 'This recording is no longer available to you.',
    410: 'This share link has expired or was revoked, so the recording can no longer be played here. ' +
         'Ask whoever shared it for a new link.'
  };

  function refuse(status) {
    ended = true;
    clearTimeout(timer);
    problem.textContent = REFUSALS[status];
    problem.hidden = false;
    video.pause();
    Array.prototype.forEach.call(video.querySelectorAll('source'), function (source) { source.remove(); });
    video.removeAttribute('src');
    video.load();
    video.hidden = true;
    ['download', 'scrubber'].forEach(function (id) {
      var element = document.getElementById(id);
      if (element) element.hidden = true;
    });
  }

  function renew() {
    if (pending || ended) return;
    pending = true;
    lastRenewal = Date.now();
    fetch(holder.dataset.renew, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (response.ok) return response.json().then(swap);
        if (REFUSALS[response.status]) return refuse(response.status);
        throw new Error('HTTP ' + response.status);
      })
      .catch(function () {
        // A network hiccup or a busy server: again soon, while the current links may still work.
        clearTimeout(timer);
        timer = setTimeout(renew, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      })
      .then(function () { pending = false; });
  }

  // The frame on screen, held over the video while it reloads at the same place.
  function hold() {
    if (!video.videoWidth) return;
    var still = document.createElement('canvas');
    still.width = video.videoWidth;
    still.height = video.videoHeight;
    still.className = 'still';
    still.getContext('2d').drawImage(video, 0, 0);
    video.parentNode.appendChild(still);
    function release() {
      still.remove();
      video.removeEventListener('seeked', release);
    }
    video.addEventListener('seeked', release);
    setTimeout(release, 5000);
  }

  function swap(grant) {
    retryDelay = 5000;
    schedule(grant);
    var time = video.currentTime, paused = video.paused, rate = video.playbackRate;
    var urls = { 'application/vnd.apple.mpegurl': grant.hls_url, 'video/mp4': grant.mp4_url };
    Array.prototype.forEach.call(video.querySelectorAll('source'), function (source) {
      if (urls[source.type]) source.src = urls[source.type];
      else source.remove();
    });
    var download = document.getElementById('download');
    if (download && grant.download_url) download.href = grant.download_url;
    (grant.files || []).forEach(function (file) {
      var link = document.querySelector('a[data-file="' + file.kind + '"]');
      if (link) link.href = file.url;
    });
    if (time > 0 || !paused) {
      try { hold(); } catch (error) { /* no still frame: the reload shows briefly */ }
      // After a reload the poster would show until the first frame.
      video.removeAttribute('poster');
      video.addEventListener('loadedmetadata', function () {
        video.currentTime = time;
        video.playbackRate = rate;
        if (!paused) video.play().catch(function () {});
      }, { once: true });
    }
    video.load();
    video.dispatchEvent(new CustomEvent('tapedeck:grant', { detail: grant }));
  }

  schedule(JSON.parse(holder.dataset.grant));
  // Timers stop while a computer sleeps and are slowed in background tabs: check on return too.
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && Date.now() >= renewAt) renew();
  });
  setInterval(function () { if (Date.now() >= renewAt) renew(); }, 30000);
  // A link refused before its time (a share revoked meanwhile): ask at once what happened, but
  // not in a loop if the media itself is at fault.
  video.addEventListener('error', function () { if (Date.now() - lastRenewal > 30000) renew(); }, true);
})();

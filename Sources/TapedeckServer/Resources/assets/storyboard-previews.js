// Hover previews: the storyboard index (WebVTT, served with its sprite signed) says which part of
// the sprite sheet shows each stretch of the recording; the bar under the video shows that part
// where the pointer is, and seeks on click or with the arrow keys.
(function () {
  var bar = document.getElementById('scrubber');
  var video = document.getElementById('player');
  if (!bar || !video) return;
  var preview = bar.querySelector('.preview');
  var frame = bar.querySelector('.preview-frame');
  var label = bar.querySelector('.preview-time');
  var played = bar.querySelector('.scrubber-played');
  var cues = [];

  var seconds = window.TapedeckTime.seconds, clock = window.TapedeckTime.clock;
  function duration() {
    return isFinite(video.duration) && video.duration > 0 ? video.duration : Number(bar.dataset.duration) || 0;
  }
  function parse(text) {
    text.split(/\r?\n\r?\n/).forEach(function (block) {
      var lines = block.split(/\r?\n/);
      var timing = lines.findIndex(function (line) { return line.indexOf('-->') >= 0; });
      if (timing < 0 || !lines[timing + 1]) return;
      var reference = lines[timing + 1].trim(), hash = reference.lastIndexOf('#xywh=');
      if (hash < 0) return;
      var box = reference.slice(hash + 6).split(',').map(Number), range = lines[timing].split('-->');
      cues.push({ start: seconds(range[0]), end: seconds(range[1].trim().split(/\s/)[0]), url: reference.slice(0, hash),
                  x: box[0], y: box[1], w: box[2], h: box[3] });
    });
    bar.dataset.cues = String(cues.length);
  }
  function cueAt(time) {
    for (var i = 0; i < cues.length; i++) if (time >= cues[i].start && time < cues[i].end) return cues[i];
    return cues[cues.length - 1];
  }
  function pointer(event) {
    var box = bar.getBoundingClientRect();
    var fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    return { time: fraction * duration(), x: fraction * box.width, width: box.width };
  }
  function show(event) {
    var at = pointer(event), cue = cueAt(at.time);
    label.textContent = clock(at.time);
    var half = 40;
    if (cue) {
      frame.style.width = cue.w + 'px';
      frame.style.height = cue.h + 'px';
      frame.style.backgroundImage = 'url("' + cue.url + '")';
      frame.style.backgroundPosition = (-cue.x) + 'px ' + (-cue.y) + 'px';
      half = cue.w / 2 + 2;
    }
    preview.style.left = Math.min(at.width - half, Math.max(half, at.x)) + 'px';
    preview.hidden = false;
  }
  function seek(time) {
    video.currentTime = Math.min(duration(), Math.max(0, time));
  }

  function load(url) {
    fetch(url, { credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.text() : ''; })
      .then(function (text) { cues = []; parse(text); })
      .catch(function () { bar.dataset.cues = '0'; });
  }
  load(bar.dataset.storyboard);
  // A renewed grant signs the sprite anew: the old sprite link dies with the old grant.
  video.addEventListener('tapedeck:grant', function (event) {
    if (event.detail.storyboard_url) load(event.detail.storyboard_url);
  });
  bar.addEventListener('pointermove', show);
  bar.addEventListener('pointerleave', function () { preview.hidden = true; });
  bar.addEventListener('click', function (event) { seek(pointer(event).time); });
  bar.addEventListener('keydown', function (event) {
    if (event.key === 'ArrowRight') seek(video.currentTime + 5);
    else if (event.key === 'ArrowLeft') seek(video.currentTime - 5);
    else return;
    event.preventDefault();
  });
  video.addEventListener('timeupdate', function () {
    var total = duration();
    played.style.width = total ? (100 * video.currentTime / total) + '%' : '0';
    bar.setAttribute('aria-valuenow', String(Math.floor(video.currentTime)));
    bar.setAttribute('aria-valuetext', clock(video.currentTime));
  });
})();

// The transcript panel beside the player: each line of the recording's cue tracks as a card (a
// button: press it to play from there), the line being said highlighted and kept in view,
// translations side by side with the lines they translate, a search within the recording, and
// the video's own captions switched on from here. Cue text reaches the page only as text nodes.
(function () {
  var panel = document.getElementById('transcript');
  var holder = document.getElementById('playback');
  var video = document.getElementById('player');
  if (!panel || !holder || !video) return;
  function byId(id) { return document.getElementById(id); }
  var list = byId('transcript-cues'), status = byId('transcript-status'), live = byId('transcript-live');
  var languages = byId('transcript-language'), besideField = byId('transcript-beside-field'), beside = byId('transcript-beside');
  var search = byId('transcript-search'), hitsLabel = byId('transcript-hits'), captions = byId('captions-toggle');
  var columns = byId('transcript-columns');
  var clock = window.TapedeckTime.clock;
  var KINDS = { captions: 'transcript', subtitles: 'translation', chapters: 'chapters' };

  var tracks = JSON.parse(holder.dataset.grant).text_tracks.filter(function (track) { return track.kind !== 'metadata'; });
  var cards = [], active = -1, hits = [], hit = -1, userMovedAt = 0, captionsOn = false;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function option(value, text) {
    var node = element('option', '', text);
    node.value = value;
    return node;
  }

  // ---- the cards

  // Tracks whose cues translate cues of `track` (by key), to show beside it.
  function translationsOf(track) {
    var keys = new Set(track.cues.map(function (cue) { return cue.cue_key; }));
    return tracks.filter(function (other) {
      return other !== track && other.cues.some(function (cue) { return cue.translation_of != null && keys.has(cue.translation_of); });
    });
  }

  function chooseTrack() {
    var track = tracks[languages.value];
    var candidates = translationsOf(track);
    beside.textContent = '';
    beside.appendChild(option('', 'Nothing'));
    candidates.forEach(function (other) { beside.appendChild(option(String(tracks.indexOf(other)), other.label)); });
    if (candidates.length) beside.value = String(tracks.indexOf(candidates[0]));
    besideField.hidden = candidates.length === 0;
    render();
  }

  function render() {
    var track = tracks[languages.value], other = beside.value === '' ? null : tracks[beside.value];
    var translated = {};
    if (other) {
      other.cues.forEach(function (cue) {
        if (cue.translation_of == null) return;
        (translated[cue.translation_of] = translated[cue.translation_of] || []).push(cue.text);
      });
    }
    list.textContent = '';
    list.classList.toggle('side-by-side', !!other);
    // Each text carries its lang for screen readers; the labels are for the eye.
    columns.hidden = !other;
    columns.firstChild.textContent = track.label;
    columns.lastChild.textContent = other ? other.label : '';
    cards = track.cues.map(function (cue) {
      var item = element('li'), card = element('button', 'cue');
      card.type = 'button';
      var meta = element('span', 'cue-meta');
      meta.appendChild(element('span', 'cue-time', clock(cue.start_ms / 1000)));
      if (cue.speaker) meta.appendChild(element('span', 'cue-speaker', cue.speaker));
      card.appendChild(meta);
      var text = element('span', 'cue-text', cue.text);
      text.lang = track.language;
      card.appendChild(text);
      if (other) {
        var translation = element('span', 'cue-translation', (translated[cue.cue_key] || []).join('\n'));
        translation.lang = other.language;
        card.appendChild(translation);
      }
      card.addEventListener('click', function () { video.currentTime = cue.start_ms / 1000; });
      item.appendChild(card);
      list.appendChild(item);
      return { cue: cue, card: card, start: cue.start_ms / 1000 };
    });
    status.textContent = cards.length ? '' : 'No lines in this language.';
    status.hidden = cards.length > 0;
    active = -1;
    follow(false);
    find();
    showCaptions();
  }

  // ---- the line being said

  // The last card to start by `time` (cards are in start order): a binary search.
  function cardAt(time) {
    var low = 0, high = cards.length - 1, found = -1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (cards[middle].start <= time + 0.001) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  // Scrolls the list, not the page, so that `card` is in view.
  function reveal(card) {
    var top = card.offsetTop, bottom = top + card.offsetHeight;
    if (top < list.scrollTop || bottom > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 3);
    }
  }

  // Only when the card changes: the live region speaks once per line, not on every timeupdate.
  function follow(announce) {
    var index = cardAt(video.currentTime);
    if (index === active) return;
    if (active >= 0) {
      cards[active].card.classList.remove('active');
      cards[active].card.removeAttribute('aria-current');
    }
    active = index;
    if (index < 0) return;
    var current = cards[index];
    current.card.classList.add('active');
    current.card.setAttribute('aria-current', 'true');
    if (announce) live.textContent = (current.cue.speaker ? current.cue.speaker + ': ' : '') + current.cue.text;
    // Someone reading or searching elsewhere in the list is not pulled away for a while.
    if (Date.now() - userMovedAt > 4000) reveal(current.card);
  }

  // ---- search within the recording

  function clearMarks() {
    list.querySelectorAll('mark').forEach(function (mark) {
      var parent = mark.parentNode;
      parent.replaceChild(document.createTextNode(mark.textContent), mark);
      parent.normalize();
    });
  }

  // Every word searched for is marked wherever it occurs, by splitting text nodes: no HTML is built.
  function find() {
    clearMarks();
    hits = [];
    hit = -1;
    var words = search.value.trim().split(/\s+/).filter(Boolean).sort(function (a, b) { return b.length - a.length; });
    if (!words.length) {
      hitsLabel.textContent = '';
      return;
    }
    var pattern = new RegExp(words.map(function (word) { return word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }).join('|'), 'giu');
    list.querySelectorAll('.cue-speaker, .cue-text, .cue-translation').forEach(function (span) {
      var node = span.firstChild;
      while (node) {
        pattern.lastIndex = 0;
        var match = node.nodeType === Node.TEXT_NODE ? pattern.exec(node.data) : null;
        if (!match) {
          node = node.nextSibling;
          continue;
        }
        var found = node.splitText(match.index), after = found.splitText(match[0].length), mark = element('mark');
        span.replaceChild(mark, found);
        mark.appendChild(found);
        hits.push(mark);
        node = after;
      }
    });
    if (hits.length) {
      step(1);
    } else {
      hitsLabel.textContent = 'No matches';
    }
  }

  function step(direction) {
    if (!hits.length) return;
    if (hit >= 0) hits[hit].classList.remove('current');
    hit = (hit + direction + hits.length) % hits.length;
    hits[hit].classList.add('current');
    hitsLabel.textContent = (hit + 1) + ' of ' + hits.length + (hits.length === 1 ? ' match' : ' matches');
    userMovedAt = Date.now();
    reveal(hits[hit].closest('.cue'));
  }

  // ---- captions on the video

  function textTrackOf(track) {
    var found = null;
    video.querySelectorAll('track').forEach(function (node) {
      if (node.kind === track.kind && node.srclang === track.language) found = node.track;
    });
    return found;
  }

  // The chosen language's captions on the video, or none; every other track stays loaded but hidden.
  function showCaptions() {
    var wanted = captionsOn ? textTrackOf(tracks[languages.value]) : null;
    captions.hidden = !textTrackOf(tracks[languages.value]);
    Array.prototype.forEach.call(video.textTracks, function (textTrack) {
      if (textTrack.kind === 'captions' || textTrack.kind === 'subtitles') textTrack.mode = textTrack === wanted ? 'showing' : 'hidden';
    });
    captions.setAttribute('aria-pressed', String(!!wanted));
  }

  // ---- wiring

  function load(track) {
    return fetch(track.cues_url, { credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : { cues: null }; })
      .catch(function () { return { cues: null }; })
      .then(function (body) {
        track.failed = !body.cues;
        track.cues = (body.cues || []).filter(function (cue) { return cue.text.trim() !== ''; })
          .sort(function (a, b) { return a.start_ms - b.start_ms; });
      });
  }

  Promise.all(tracks.map(load)).then(function () {
    if (tracks.every(function (track) { return track.failed; })) {
      status.textContent = 'The transcript could not be loaded. Reload the page to try again.';
      return;
    }
    tracks.forEach(function (track, index) {
      languages.appendChild(option(String(index), track.label + ' (' + (KINDS[track.kind] || track.kind) + ')'));
    });
    var first = tracks.findIndex(function (track) { return track.kind === 'captions'; });
    languages.value = String(Math.max(0, first));
    chooseTrack();
  });

  languages.addEventListener('change', chooseTrack);
  beside.addEventListener('change', render);
  video.addEventListener('timeupdate', function () { follow(true); });
  video.addEventListener('seeked', function () { follow(true); });
  ['wheel', 'touchmove', 'keydown', 'focusin'].forEach(function (type) {
    list.addEventListener(type, function () { userMovedAt = Date.now(); }, { passive: true });
  });
  var typing = null;
  search.addEventListener('input', function () {
    clearTimeout(typing);
    typing = setTimeout(function () {
      typing = null;
      find();
    }, 150);
  });
  search.addEventListener('keydown', function (event) {
    var direction = { Enter: event.shiftKey ? -1 : 1, ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (!direction) return;
    event.preventDefault();
    if (typing) {
      // Pressed before the search ran: run it now; it lands on the first match (Shift: the last).
      clearTimeout(typing);
      typing = null;
      find();
      if (direction < 0) step(-1);
      return;
    }
    step(direction);
  });
  byId('search-next').addEventListener('click', function () { step(1); });
  byId('search-previous').addEventListener('click', function () { step(-1); });
  captions.addEventListener('click', function () {
    captionsOn = !captionsOn;
    showCaptions();
  });
  // The video's own captions menu switches them too: the button follows it.
  video.textTracks.addEventListener('change', function () {
    captionsOn = Array.prototype.some.call(video.textTracks, function (textTrack) { return textTrack.mode === 'showing'; });
    captions.setAttribute('aria-pressed', String(captionsOn));
  });
  // Loaded at once, hidden: the cues are there when captions are switched on, even after the links expire.
  Array.prototype.forEach.call(video.textTracks, function (textTrack) {
    if (textTrack.kind === 'captions' || textTrack.kind === 'subtitles') textTrack.mode = 'hidden';
  });
})();

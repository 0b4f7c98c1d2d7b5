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
  var active = -1, hits = [], hit = -1, pattern = null, userMovedAt = 0, captionsOn = false;

  // A 3-hour lecture has thousands of lines: building and laying out a card for each before the
  // first paint took most of a second. Only the cards in and near the list's visible part are in
  // the document; an empty item above and one below them (hidden from assistive technology)
  // stand for the others, at their measured height once they have been shown, at the average
  // height before. (Padding would not do: the list could not be shorter than it.) Short
  // transcripts are rendered whole (the browser's own find and a screen reader's list see every line).
  var WHOLE = 200, MARGIN_PX = 900, FIRST_GUESS_PX = 64;
  // One entry per line of the chosen track: {cue, start, translation, item (its <li> while rendered), hitStart, hitCount}.
  var cards = [];
  var first = 0, last = 0;                 // the rendered cards: [first, last)
  var heights = new Float64Array(0);       // measured heights, 0 while not measured
  var offsets = new Float64Array(1);       // offsets[i]: where card i starts in the list's content
  var offsetsStale = false, measuredSum = 0, measuredCount = 0, listWidth = 0, scheduled = false;
  var above = null, below = null;          // the stand-ins for the cards not rendered (long transcripts)

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

  function besideTrack() { return beside.value === '' ? null : tracks[beside.value]; }

  // The chosen track's lines as data; their cards are made when they come into view.
  function render() {
    var track = tracks[languages.value], other = besideTrack();
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
      return { cue: cue, start: cue.start_ms / 1000, translation: other ? (translated[cue.cue_key] || []).join('\n') : null,
               item: null, hitStart: 0, hitCount: 0 };
    });
    heights = new Float64Array(cards.length);
    offsets = new Float64Array(cards.length + 1);
    offsetsStale = true;
    measuredSum = measuredCount = 0;
    first = last = 0;
    above = below = null;
    if (cards.length > WHOLE) {
      above = spacer();
      below = spacer();
      list.appendChild(above);
      list.appendChild(below);
    }
    list.scrollTop = 0;
    status.textContent = cards.length ? '' : 'No lines in this language.';
    status.hidden = cards.length > 0;
    active = -1;
    follow(false);
    find();
    updateWindow();
    list.setAttribute('aria-busy', 'false');
    showCaptions();
  }

  // The card of line `index`: a button that plays from the line; marks where the search matched.
  function build(index) {
    var entry = cards[index], cue = entry.cue, item = element('li'), card = element('button', 'cue');
    item.dataset.index = String(index);
    // Where it stands in the whole transcript, for screen readers, as only a window is in the document.
    item.setAttribute('aria-posinset', String(index + 1));
    item.setAttribute('aria-setsize', String(cards.length));
    card.type = 'button';
    var meta = element('span', 'cue-meta'), number = entry.hitStart;
    meta.appendChild(element('span', 'cue-time', clock(entry.start)));
    if (cue.speaker) {
      var speaker = element('span', 'cue-speaker');
      number = appendMarked(speaker, cue.speaker, number);
      meta.appendChild(speaker);
    }
    card.appendChild(meta);
    var text = element('span', 'cue-text');
    number = appendMarked(text, cue.text, number);
    text.lang = tracks[languages.value].language;
    card.appendChild(text);
    if (entry.translation !== null) {
      var translation = element('span', 'cue-translation');
      appendMarked(translation, entry.translation, number);
      translation.lang = besideTrack().language;
      card.appendChild(translation);
    }
    if (index === active) {
      card.classList.add('active');
      card.setAttribute('aria-current', 'true');
    }
    item.appendChild(card);
    entry.item = item;
    return item;
  }

  function spacer() {
    var item = element('li', 'cue-spacer');
    item.setAttribute('aria-hidden', 'true');
    return item;
  }

  function drop(index) {
    cards[index].item.remove();
    cards[index].item = null;
  }

  // ---- where the cards are

  function averageHeight() { return measuredCount ? measuredSum / measuredCount : FIRST_GUESS_PX; }

  function ensureOffsets() {
    if (!offsetsStale) return;
    var guess = averageHeight(), total = 0;
    for (var i = 0; i < cards.length; i++) {
      offsets[i] = total;
      total += heights[i] || guess;
    }
    offsets[cards.length] = total;
    offsetsStale = false;
  }

  // The card at `y` in the list's content: the last one starting at or above it.
  function indexAt(y) {
    var low = 0, high = cards.length - 1, found = 0;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (offsets[middle] <= y) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  function focusedIndex() {
    var node = document.activeElement, item = node && list.contains(node) ? node.closest('li') : null;
    return item && item.dataset.index ? Number(item.dataset.index) : -1;
  }

  // Renders the cards from `from` to `to`, keeping those already there (and so a focused card).
  function place(from, to) {
    var i, fragment;
    if (first === last || to <= first || from >= last) {
      for (i = first; i < last; i++) drop(i);
      first = last = from;
    }
    while (first < from) drop(first++);
    while (last > to) drop(--last);
    if (from < first) {
      fragment = document.createDocumentFragment();
      for (i = from; i < first; i++) fragment.appendChild(build(i));
      list.insertBefore(fragment, above ? above.nextSibling : list.firstChild);
      first = from;
    }
    if (last < to) {
      fragment = document.createDocumentFragment();
      for (i = last; i < to; i++) fragment.appendChild(build(i));
      list.insertBefore(fragment, below);
      last = to;
    }
  }

  // Renders the cards in and near the visible part of the list. Card `anchor` (by default the
  // first visible one) stays where it is on screen, `delta` below the list's top edge, whatever
  // the measurements of the new cards move above it. Reads the layout once, after all writes.
  function updateWindow(anchor, delta) {
    scheduled = false;
    if (!cards.length) return;
    ensureOffsets();
    if (anchor === undefined) anchor = indexAt(list.scrollTop);
    if (delta === undefined) delta = offsets[anchor] - list.scrollTop;
    var from = 0, to = cards.length;
    if (cards.length > WHOLE) {
      var top = Math.max(0, offsets[anchor] - delta), view = list.clientHeight || 600;
      from = indexAt(Math.max(0, top - MARGIN_PX));
      to = Math.min(cards.length, indexAt(top + view + MARGIN_PX) + 1);
      // A focused card nearby stays in the document: removing it would lose the keyboard's place.
      var focused = focusedIndex();
      if (focused >= 0 && focused > from - 100 && focused < to + 100) {
        from = Math.min(from, focused);
        to = Math.max(to, focused + 1);
      }
    }
    place(from, to);
    for (var i = first; i < last; i++) {
      var height = cards[i].item.offsetHeight;
      if (height === heights[i]) continue;
      if (heights[i]) measuredSum -= heights[i]; else measuredCount++;
      measuredSum += height;
      heights[i] = height;
      offsetsStale = true;
    }
    ensureOffsets();
    if (above) {
      above.style.height = offsets[first] + 'px';
      below.style.height = (offsets[cards.length] - offsets[last]) + 'px';
    }
    var wanted = Math.max(0, offsets[anchor] - delta);
    if (Math.abs(list.scrollTop - wanted) >= 1) list.scrollTop = wanted;
  }

  function scheduleUpdate() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(function () { if (scheduled) updateWindow(); });
  }

  // Scrolls the list, not the page, so that card `index` is in view (and in the document).
  // The scroll position is set only once the stand-ins make room for it (before, the browser
  // would clamp it to the cards there are).
  function reveal(index) {
    ensureOffsets();
    var top = offsets[index], bottom = offsets[index + 1], view = list.clientHeight, scroll = list.scrollTop;
    var delta = top - scroll;
    if (top < scroll || bottom > scroll + view) delta = Math.min(top, view / 3);
    updateWindow(index, delta);
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

  // Only when the card changes: the live region speaks once per line, not on every timeupdate.
  function follow(announce) {
    var index = cardAt(video.currentTime);
    if (index === active) return;
    var before = active >= 0 ? cards[active].item : null;
    if (before) {
      before.firstChild.classList.remove('active');
      before.firstChild.removeAttribute('aria-current');
    }
    active = index;
    if (index < 0) return;
    var current = cards[index];
    if (current.item) {
      current.item.firstChild.classList.add('active');
      current.item.firstChild.setAttribute('aria-current', 'true');
    }
    if (announce) live.textContent = (current.cue.speaker ? current.cue.speaker + ': ' : '') + current.cue.text;
    // Someone reading or searching elsewhere in the list is not pulled away for a while.
    if (Date.now() - userMovedAt > 4000) reveal(index);
  }

  // ---- search within the recording

  // `text` into `span` as text nodes, each match of the search wrapped in a mark: no HTML is
  // built. `number` is the first match's number among all hits; returns the next one.
  function appendMarked(span, text, number) {
    if (!pattern) {
      span.textContent = text;
      return number;
    }
    var at = 0, match;
    pattern.lastIndex = 0;
    while ((match = pattern.exec(text))) {
      if (match.index > at) span.appendChild(document.createTextNode(text.slice(at, match.index)));
      span.appendChild(element('mark', number === hit ? 'current' : '', match[0]));
      number++;
      at = match.index + match[0].length;
    }
    if (at < text.length) span.appendChild(document.createTextNode(text.slice(at)));
    return number;
  }

  function matches(text) {
    if (!text) return 0;
    var count = 0;
    pattern.lastIndex = 0;
    while (pattern.exec(text)) count++;
    return count;
  }

  // Every word searched for is found in every line, shown or not; the rendered cards are made
  // again with their marks.
  function find() {
    var marked = pattern !== null;
    hits = [];
    hit = -1;
    var words = search.value.trim().split(/\s+/).filter(Boolean).sort(function (a, b) { return b.length - a.length; });
    pattern = words.length
      ? new RegExp(words.map(function (word) { return word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }).join('|'), 'giu')
      : null;
    cards.forEach(function (entry, index) {
      entry.hitStart = hits.length;
      entry.hitCount = pattern ? matches(entry.cue.speaker) + matches(entry.cue.text) + matches(entry.translation) : 0;
      for (var n = 0; n < entry.hitCount; n++) hits.push(index);
    });
    // No search before or now: the cards there are have nothing to mark or unmark.
    if (marked || pattern) {
      var from = first, to = last;
      place(0, 0);
      if (to > from) place(from, to);
    }
    if (!pattern) {
      hitsLabel.textContent = '';
    } else if (hits.length) {
      step(1);
    } else {
      hitsLabel.textContent = 'No matches';
    }
  }

  function step(direction) {
    if (!hits.length) return;
    var before = list.querySelector('mark.current');
    if (before) before.classList.remove('current');
    hit = (hit + direction + hits.length) % hits.length;
    hitsLabel.textContent = (hit + 1) + ' of ' + hits.length + (hits.length === 1 ? ' match' : ' matches');
    userMovedAt = Date.now();
    var entry = cards[hits[hit]];
    reveal(hits[hit]);
    entry.item.querySelectorAll('mark')[hit - entry.hitStart].classList.add('current');
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

  // Busy until the first cards are in: assistive technology (and a page-load measurement) can tell.
  list.setAttribute('aria-busy', 'true');
  Promise.all(tracks.map(load)).then(function () {
    if (tracks.every(function (track) { return track.failed; })) {
      status.textContent = 'The transcript could not be loaded. Reload the page to try again.';
      list.setAttribute('aria-busy', 'false');
      return;
    }
    tracks.forEach(function (track, index) {
      languages.appendChild(option(String(index), track.label + ' (' + (KINDS[track.kind] || track.kind) + ')'));
    });
    var original = tracks.findIndex(function (track) { return track.kind === 'captions'; });
    languages.value = String(Math.max(0, original));
    chooseTrack();
  });

  // One listener for every card, rendered now or later: press (or Enter) plays from its line.
  list.addEventListener('click', function (event) {
    var card = event.target.closest('.cue');
    if (!card || !list.contains(card)) return;
    video.currentTime = cards[Number(card.parentNode.dataset.index)].start;
  });
  // The arrow keys, Page Up/Down, Home and End move between cards, also to ones not rendered yet.
  list.addEventListener('keydown', function (event) {
    var index = focusedIndex();
    if (index < 0 || event.altKey || event.ctrlKey || event.metaKey) return;
    var page = Math.max(1, Math.floor(list.clientHeight / averageHeight()) - 1);
    var move = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -cards.length, End: cards.length }[event.key];
    if (!move) return;
    event.preventDefault();
    var target = Math.max(0, Math.min(cards.length - 1, index + move));
    reveal(target);
    cards[target].item.firstChild.focus({ preventScroll: true });
  });
  list.addEventListener('scroll', scheduleUpdate, { passive: true });
  // A new width wraps the lines anew: every height is measured again, the first visible card stays put.
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      var width = list.clientWidth;
      if (width === listWidth) return;
      listWidth = width;
      if (!cards.length) return;
      ensureOffsets();
      var anchor = indexAt(list.scrollTop), delta = offsets[anchor] - list.scrollTop;
      heights.fill(0);
      measuredSum = measuredCount = 0;
      offsetsStale = true;
      updateWindow(anchor, delta);
    }).observe(list);
  }

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

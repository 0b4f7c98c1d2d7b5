// Media times as the player pages read and write them, shared by their scripts.
window.TapedeckTime = {
  // "1:02:03.5", "2:03" or "75.25" (WebVTT stamps, #t= fragments) in seconds; NaN if not a time.
  seconds: function (text) {
    var parts = String(text).trim().split(':');
    if (parts.length > 3 || parts.some(function (part) { return !/^\d+(\.\d+)?$/.test(part); })) return NaN;
    return parts.map(Number).reduce(function (total, part) { return total * 60 + part; }, 0);
  },
  // "1:02:03" or "2:03", as the pages print durations.
  clock: function (value) {
    var s = Math.max(0, Math.floor(value)), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    return (h ? h + ':' + String(m).padStart(2, '0') : m) + ':' + String(r).padStart(2, '0');
  }
};

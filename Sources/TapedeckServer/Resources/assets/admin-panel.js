// The admin panel's buttons: copy a new share link, confirm before deleting. Handlers are bound
// here rather than in onclick/onsubmit attributes, which the Content-Security-Policy refuses.
(function () {
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var field = document.getElementById(button.dataset.copy);
      if (field) navigator.clipboard.writeText(field.value);
    });
  });
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();

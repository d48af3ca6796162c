// A button with data-copy="<input id>" copies that input's value (the invitation link).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  field.select();
  navigator.clipboard?.writeText(field.value).then(
    () => { button.textContent = "Copied"; },
    () => { button.textContent = "Selected: press Ctrl+C"; },
  );
});

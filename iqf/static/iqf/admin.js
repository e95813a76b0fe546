// Accessibility repairs to the widgets the admin's libraries draw, loaded (deferred) on every
// admin page by templates/admin/base_site.html: the Content-Security-Policy allows no inline
// script, so they cannot live in the templates.
"use strict";

// Select2 (autocomplete fields) names its combobox after the chosen value alone, so an empty
// one has no name at all: name it after the field's label as well.
function iqfNameAutocompletes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
        const drawn = select.nextElementSibling;
        const label = select.id && document.querySelector('label[for="' + select.id + '"]');
        if (!label || !drawn || !drawn.classList.contains("select2")) {
            return;
        }
        if (!label.id) {
            label.id = select.id + "-label";
        }
        const combobox = drawn.querySelector('[role="combobox"]');
        const rendered = drawn.querySelector(".select2-selection__rendered");
        if (combobox && rendered && rendered.id) {
            combobox.setAttribute("aria-labelledby", label.id + " " + rendered.id);
            rendered.setAttribute("aria-labelledby", label.id);
        }
    });
}

// django-import-export's "Select all" box on the export form has no id for its label to
// point at, and is wired by an inline handler the policy refuses: give it both.
function iqfRepairExportToggles() {
    document.querySelectorAll("input.select-toggle").forEach(function (toggle, index) {
        const label = toggle.nextElementSibling;
        toggle.id = "select-all-toggle-" + index;
        if (label && label.tagName === "LABEL") {
            label.htmlFor = toggle.id;
        }
        toggle.removeAttribute("onchange");
        if (typeof window.onSelectToggleChange === "function") {
            toggle.addEventListener("change", window.onSelectToggleChange);
        }
    });
}

iqfRepairExportToggles();
if (window.django && window.django.jQuery) {
    // after the admin's own ready handler has drawn the autocomplete fields
    window.django.jQuery(function () { iqfNameAutocompletes(document); });
} else {
    iqfNameAutocompletes(document);
}
// an inline row added with "Add another" (the admin draws its fields in its own listener,
// registered before this one)
document.addEventListener("formset:added", function (event) { iqfNameAutocompletes(event.target); });

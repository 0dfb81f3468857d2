// The provider's payment page takes a form post: send it at once (the button stays for a
// browser without scripts).
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());

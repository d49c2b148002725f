// errors.js: every failure the app can meet, as a sentence for people and
// what to do about it. Codes come from the server (protocol/errors.go), the
// client in the worker (wasm/bridge/codes.go) or the page. An unknown code
// still gets a readable message: the server's or client's own, which never
// holds a secret.

const generic = {
  // The server's codes.
  bad_request: ["The request was not valid.", "Check what you entered and try again."],
  bad_encoding: ["The request was not valid.", "This is a bug in Vellum; reload the page and try again."],
  unknown_field: ["The request was not valid.", "This is a bug in Vellum; reload the page and try again."],
  too_large: ["That is too large.", "Vellum limits the size of names, messages and files."],
  unauthenticated: ["Your session has ended.", "Log in again to continue."],
  forbidden: ["You are not allowed to do that.", "Ask an admin of your company for access."],
  not_found: ["It does not exist, or you cannot see it.", "It may have been deleted, or it is not shared with you."],
  conflict: ["Someone changed this at the same time.", "Reload and try again."],
  rate_limited: ["Too many attempts.", "Wait a minute, then try again."],
  locked: ["Locked after too many wrong attempts.", "Wait, then try again, or use another way to sign in."],
  expired: ["That has expired.", "Ask for a new code or link."],
  bad_signature: ["A signature did not verify.", "The data may have been tampered with; contact your admin."],
  bad_chain: ["A signed history did not verify.", "The data may have been tampered with; contact your admin."],
  auth_failed: ["That did not match.", "Check it and try again."],
  unsupported: ["This version is not supported.", "Reload the page to get the newest Vellum."],
  internal: ["Something went wrong inside Vellum.", "Nothing was changed. Try again; if it keeps happening, contact support with the error code."],
  method_not_allowed: ["The request was not valid.", "This is a bug in Vellum; reload the page and try again."],

  // The client's codes.
  network: ["Vellum's server cannot be reached.", "Check your connection, then try again. If you were saving something, check whether it was saved."],
  bad_response: ["The server sent an answer Vellum does not understand.", "Reload the page; if it keeps happening, contact your admin."],
  not_logged_in: ["You are not logged in.", "Log in to continue."],
  keyring_locked: ["Your keys are locked.", "Enter your recovery code to unlock them."],
  device_verification: ["This browser needs to be confirmed.", "Enter the code we e-mailed you."],
  no_pending_login: ["That step has expired.", "Start again."],
  no_access: ["You do not have the key for this.", "Request access, and someone who has it can share it with you."],
  not_member: ["That person is not a member of this company.", "Invite them first."],
  not_allowed: ["Your role does not allow that change.", "Ask an owner or admin of the company."],
  last_owner: ["A company needs at least one owner.", "Make someone else an owner first."],
  already_member: ["That person is already a member.", null],
  no_change: ["That changes nothing.", null],
  pin_mismatch: ["Warning: this company's signed history has been replaced.", "The server now shows a different company history than the one this browser saw first. Do not upload or share anything, and contact your admin."],
  untrusted: ["Warning: a signature or key check failed.", "The server's answer cannot be trusted. Do not upload or share anything, and contact your admin."],
  inconsistent: ["The server's answer is inconsistent.", "Reload and try again; if it keeps happening, contact your admin."],
  version_not_signed: ["Warning: this document is not signed by the member who uploaded it.", "It may not be what your colleague uploaded: do not open or share it, and tell your admin."],
  wrong_recovery_code: ["That recovery code does not unlock this account.", "Check that it is the code for this e-mail address."],
  recovery_code_typo: ["That recovery code has a typo.", "Check each group of letters and digits; nothing was tried."],
  size_mismatch: ["The file changed while it was being uploaded.", "Try again with a file that is not being written to."],
  upload_lost: ["The upload could not be resumed.", "Start the upload again."],
  source_failed: ["The file could not be read.", "It may have been moved or deleted; choose it again."],
  cancelled: ["Cancelled.", null],
  left_company: ["You are no longer a member of this company.", "Ask one of its admins to invite you again."],
  storage: ["This browser cannot store data for Vellum.", "Private browsing can block storage; Vellum then asks for an e-mailed code at every login."],
  wrong_key: ["This file cannot be decrypted with your key.", "It may have been altered. Do not use it; contact your admin."],
  truncated: ["The file was cut short in transit.", "Nothing was saved. Try the download again."],
  corrupted: ["The file was altered or damaged.", "Nothing trustworthy was saved; do not use any partial file. Contact your admin."],
  malformed: ["The data is not in the expected format.", "It may be damaged; contact your admin."],
  unavailable: ["The Vellum client could not start.", "Reload the page. Vellum needs a current browser with WebAssembly and Web Workers."],
  bad_argument: ["Something went wrong inside Vellum.", "Reload the page and try again."],
  limit: ["Too many things are open at once.", "Reload the page."],
  service_worker: ["Your browser blocked the streamed download.", "Vellum saved the file through memory instead."],
  // The signing codes (wasm/bridge/codes.go).
  bad_link: ["This signing link is incomplete.", "Open the link from the e-mail again, or copy all of it: it ends with a long code after #."],
  bad_pin: ["The PIN is six digits.", "Type the six digits from the text message; nothing was tried."],
  link_origin: ["This signing link is for another Vellum server.", "Open the link exactly as it was sent to you."],
  envelope_closed: ["This envelope is closed.", "It was cancelled by its sender or declined by a signer: nothing can be signed. Contact the sender if you think this is a mistake."],
  not_your_turn: ["It is not your turn to sign yet.", "The document is signed in order; you will get a message when it is your turn."],
  already_signed: ["This has been signed already.", null],
  envelope_state: ["The envelope cannot do that now.", "Reload to see its current state."],
  not_signer: ["You are not a signer of this envelope.", null],
  not_read: ["Read the document first.", "Signing becomes possible once the whole document has been decrypted in this browser."],
  seal_invalid: ["The seal does not verify.", "Do not rely on this file: it does not match its seal. Contact the sender."],
  digest_mismatch: ["The signers did not sign the same document.", "The seal was not made. Contact the sender."],
};

// Wording for a code in a given context ("login", "signup-code", ...).
const contextual = {
  login: {
    auth_failed: ["The e-mail address or password is wrong.", "Check both and try again. Passwords are case-sensitive."],
    locked: ["This account is locked after too many wrong passwords.", "Wait a while, then try again."],
  },
  "device-code": {
    auth_failed: ["That code is not right.", "Check the e-mail we sent and type the code again."],
    expired: ["That code has expired.", "Ask for a new code."],
    locked: ["Too many wrong codes.", "Log in again to get a new code."],
  },
  "signup-code": {
    auth_failed: ["That code is not right.", "Check the e-mail we sent and type the code again."],
    expired: ["That code has expired.", "Start the sign-up again."],
  },
  recovery: {
    malformed: ["That is not a recovery code.", "A recovery code is 28 letters and digits in groups of four, as shown at sign-up."],
    too_large: ["That is not a recovery code.", "A recovery code is 28 letters and digits in groups of four, as shown at sign-up."],
  },
  signup: {
    conflict: ["An account with this e-mail address may exist already.", "Log in instead, or check your e-mail."],
  },
  invite: {
    auth_failed: ["This invitation link is not valid.", "Ask for a new invitation."],
    expired: ["This invitation has expired.", "Ask the admin for a new invitation."],
    not_found: ["This invitation does not exist or was withdrawn.", "Ask the admin for a new invitation."],
    forbidden: ["This invitation is for another e-mail address.", "Log in with the address it was sent to."],
  },
  document: {
    forbidden: ["You do not have access to this document.", "Request access below; someone who has it can share it with you."],
    not_found: ["This document does not exist, or you cannot see it.", "It may have been deleted, or you are not a member of its company."],
  },
  folder: {
    forbidden: ["You do not have access to this folder.", "Request access below; someone who has it can share it with you."],
    not_found: ["This folder does not exist, or you cannot see it.", "It may have been deleted, or you are not a member of its company."],
  },
  company: {
    forbidden: ["You are not a member of this company.", "Ask one of its admins to invite you."],
    not_found: ["This company does not exist, or you are not a member.", "Ask one of its admins to invite you."],
  },
  download: {
    forbidden: ["You no longer have access to this document.", "Ask for access again."],
  },
  "signing-link": {
    auth_failed: ["That PIN is not right.", "Check the text message and type its six digits again."],
    locked: ["This signing link is locked after too many wrong PINs.", "Ask the sender for a new link; they have been told."],
    expired: ["This signing link has expired.", "Ask the sender to send the document again."],
    rate_limited: ["Too many tries from this network.", "Wait a minute, then try again."],
    unauthenticated: ["Your signing session has ended.", "Reload the page and enter the PIN again."],
  },
};

// describe(err, context) → {code, title, detail}.
export function describe(err, context) {
  const code = (err && typeof err.code === "string") ? err.code : "internal";
  const own = err && typeof err.message === "string" ? err.message : "";
  if (code === "invalid") {
    // The page's own check of a form: its message is the sentence.
    return { code, title: sentence(own), detail: null };
  }
  const c = (contextual[context] && contextual[context][code]) || generic[code];
  if (!c) return { code, title: own || "Something went wrong.", detail: null };
  let [title, detail] = c;
  // A refusal the server explains (a limit, a rule) is worth its words.
  if ((code === "bad_request" || code === "too_large" || code === "conflict" || code === "forbidden") && own && !contextual[context]?.[code]) {
    detail = sentence(own);
  }
  return { code, title, detail };
}

// sentence makes a message of the client's or server's ("the envelope is
// sealed") a sentence: capitalised, with a full stop unless it has one.
export function sentence(s) {
  if (!s) return "";
  return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? "" : ".");
}

#include "image/slot/slot_state.h"

#include <stdio.h>
#include <string.h>

SlotState SlotStateInitial(void) {
  SlotState state = {kSlotA, 0, true};
  return state;
}

SlotName SlotOther(SlotName slot) {
  return slot == kSlotA ? kSlotB : kSlotA;
}

char SlotLetter(SlotName slot) {
  return slot == kSlotA ? 'A' : 'B';
}

bool SlotFromLetter(char letter, SlotName* slot) {
  if (letter == 'A' || letter == 'a') {
    *slot = kSlotA;
    return true;
  }
  if (letter == 'B' || letter == 'b') {
    *slot = kSlotB;
    return true;
  }
  return false;
}

SlotSelection SlotSelect(SlotState* state) {
  SlotSelection selection = {state->active, false};
  if (state->confirmed) return selection;
  if (state->tries_left > 0) {
    state->tries_left--;
    return selection;
  }
  state->active = SlotOther(state->active);
  state->confirmed = true;
  state->tries_left = 0;
  selection.boot = state->active;
  selection.rolled_back = true;
  return selection;
}

void SlotConfirm(SlotState* state) {
  state->confirmed = true;
  state->tries_left = 0;
}

SlotError SlotMarkPending(SlotState* state, SlotName slot) {
  if (!state->confirmed) return kSlotErrorNotConfirmed;
  if (slot == state->active) return kSlotErrorSameSlot;
  state->active = slot;
  state->confirmed = false;
  state->tries_left = kSlotTriesMax;
  return kSlotOk;
}

void SlotRollback(SlotState* state) {
  state->active = SlotOther(state->active);
  state->confirmed = true;
  state->tries_left = 0;
}

void SlotStateFormat(const SlotState* state, char out[kSlotStateTextBytesMax]) {
  snprintf(out, kSlotStateTextBytesMax, "active=%c\ntries=%d\nconfirmed=%d\n",
           SlotLetter(state->active), state->tries_left, state->confirmed ? 1 : 0);
}

// One "key=value" line without its newline; the value is one character for every key.
static SlotError ParseLine(const char* line, size_t length, SlotState* state, unsigned* seen) {
  const char* equals = memchr(line, '=', length);
  if (equals == NULL || (size_t)(line + length - equals) != 2) return kSlotErrorParse;
  size_t key_length = (size_t)(equals - line);
  char value = equals[1];
  unsigned bit;
  if (key_length == 6 && memcmp(line, "active", 6) == 0) {
    if (!SlotFromLetter(value, &state->active) || value == 'a' || value == 'b') {
      return kSlotErrorParse;
    }
    bit = 1;
  } else if (key_length == 5 && memcmp(line, "tries", 5) == 0) {
    if (value < '0' || value > '0' + kSlotTriesMax) return kSlotErrorParse;
    state->tries_left = value - '0';
    bit = 2;
  } else if (key_length == 9 && memcmp(line, "confirmed", 9) == 0) {
    if (value != '0' && value != '1') return kSlotErrorParse;
    state->confirmed = value == '1';
    bit = 4;
  } else {
    return kSlotErrorParse;
  }
  if (*seen & bit) return kSlotErrorParse;
  *seen |= bit;
  return kSlotOk;
}

SlotError SlotStateParse(const char* text, size_t length, SlotState* state) {
  SlotState parsed = SlotStateInitial();
  unsigned seen = 0;
  size_t start = 0;
  while (start < length) {
    const char* newline = memchr(text + start, '\n', length - start);
    if (newline == NULL) return kSlotErrorParse;  // every line ends with a newline
    size_t line_length = (size_t)(newline - (text + start));
    SlotError error = ParseLine(text + start, line_length, &parsed, &seen);
    if (error != kSlotOk) return error;
    start += line_length + 1;
  }
  if (seen != 7) return kSlotErrorParse;
  // A confirmed slot has no trial running, so no tries.
  if (parsed.confirmed && parsed.tries_left != 0) return kSlotErrorParse;
  *state = parsed;
  return kSlotOk;
}

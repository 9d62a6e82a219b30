// The A/B slot selector as a timeline of boots: mark a slot pending, boot it, confirm it or let
// its tries run out (slot_state.h); and the state file it keeps (slot_store.h).
#define _POSIX_C_SOURCE 200809L
// cmocka needs these first.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
// clang-format off
#include <cmocka.h>
// clang-format on
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/slot/slot_state.h"
#include "image/slot/slot_store.h"

// Field by field: the struct's padding is not part of the state.
static void AssertSameState(const SlotState* a, const SlotState* b) {
  assert_int_equal(a->active, b->active);
  assert_int_equal(a->tries_left, b->tries_left);
  assert_int_equal(a->confirmed, b->confirmed);
}

static void FreshNodeBootsAConfirmed(void** unused) {
  (void)unused;
  SlotState state = SlotStateInitial();
  for (int boot = 0; boot < 5; boot++) {
    SlotSelection selection = SlotSelect(&state);
    assert_int_equal(selection.boot, kSlotA);
    assert_false(selection.rolled_back);
  }
  assert_true(state.confirmed);
  assert_int_equal(state.tries_left, 0);
}

static void ConfirmedUpdateStaysOnB(void** unused) {
  (void)unused;
  SlotState state = SlotStateInitial();
  assert_int_equal(SlotMarkPending(&state, kSlotB), kSlotOk);
  assert_int_equal(state.active, kSlotB);
  assert_false(state.confirmed);
  assert_int_equal(state.tries_left, kSlotTriesMax);

  // First boot of B uses a try; its health check passes.
  assert_int_equal(SlotSelect(&state).boot, kSlotB);
  assert_int_equal(state.tries_left, kSlotTriesMax - 1);
  SlotConfirm(&state);
  assert_true(state.confirmed);
  // Every later boot is B, however many.
  for (int boot = 0; boot < kSlotTriesMax + 2; boot++) {
    SlotSelection selection = SlotSelect(&state);
    assert_int_equal(selection.boot, kSlotB);
    assert_false(selection.rolled_back);
  }
}

static void UnconfirmedUpdateFallsBackToAByItself(void** unused) {
  (void)unused;
  SlotState state = SlotStateInitial();
  assert_int_equal(SlotMarkPending(&state, kSlotB), kSlotOk);
  // B boots kSlotTriesMax times and never confirms (its health check fails).
  for (int boot = 0; boot < kSlotTriesMax; boot++) {
    SlotSelection selection = SlotSelect(&state);
    assert_int_equal(selection.boot, kSlotB);
    assert_false(selection.rolled_back);
    assert_int_equal(state.tries_left, kSlotTriesMax - 1 - boot);
  }
  // The next boot is A, confirmed, and stays A.
  SlotSelection selection = SlotSelect(&state);
  assert_int_equal(selection.boot, kSlotA);
  assert_true(selection.rolled_back);
  assert_int_equal(state.active, kSlotA);
  assert_true(state.confirmed);
  selection = SlotSelect(&state);
  assert_int_equal(selection.boot, kSlotA);
  assert_false(selection.rolled_back);
}

static void NoNewPendingSlotDuringATrial(void** unused) {
  (void)unused;
  SlotState state = SlotStateInitial();
  assert_int_equal(SlotMarkPending(&state, kSlotA), kSlotErrorSameSlot);
  assert_int_equal(SlotMarkPending(&state, kSlotB), kSlotOk);
  SlotState before = state;
  // A was the fallback: overwriting it while B is unproven would leave nothing to go back to.
  assert_int_equal(SlotMarkPending(&state, kSlotA), kSlotErrorNotConfirmed);
  AssertSameState(&state, &before);
}

static void OperatorRollback(void** unused) {
  (void)unused;
  SlotState state = SlotStateInitial();
  assert_int_equal(SlotMarkPending(&state, kSlotB), kSlotOk);
  SlotSelect(&state);
  SlotRollback(&state);
  assert_int_equal(state.active, kSlotA);
  assert_true(state.confirmed);
  assert_int_equal(SlotSelect(&state).boot, kSlotA);
}

static void StateTextRoundTrips(void** unused) {
  (void)unused;
  SlotState state = SlotStateInitial();
  SlotMarkPending(&state, kSlotB);
  SlotSelect(&state);
  char text[kSlotStateTextBytesMax];
  SlotStateFormat(&state, text);
  assert_string_equal(text, "active=B\ntries=2\nconfirmed=0\n");
  SlotState parsed;
  assert_int_equal(SlotStateParse(text, strlen(text), &parsed), kSlotOk);
  assert_int_equal(parsed.active, kSlotB);
  assert_int_equal(parsed.tries_left, 2);
  assert_false(parsed.confirmed);
}

static void MalformedStateTextRefused(void** unused) {
  (void)unused;
  const char* bad[] = {
      "",
      "active=B\ntries=2\n",                         // a key missing
      "active=B\ntries=2\nconfirmed=0",              // no final newline
      "active=C\ntries=2\nconfirmed=0\n",            // no slot C
      "active=b\ntries=2\nconfirmed=0\n",            // the file says A or B
      "active=B\ntries=9\nconfirmed=0\n",            // more tries than kSlotTriesMax
      "active=B\ntries=2\nconfirmed=2\n",            // a flag is 0 or 1
      "active=B\ntries=2\nconfirmed=0\nactive=A\n",  // a key twice
      "active=B\ntries=2\nconfirmed=0\nextra=1\n",   // an unknown key
      "active=A\ntries=2\nconfirmed=1\n",            // confirmed with a trial's tries
      "active=B\ntries=22\nconfirmed=0\n",           // one character per value
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    SlotState state = SlotStateInitial();
    SlotState before = state;
    assert_int_equal(SlotStateParse(bad[i], strlen(bad[i]), &state), kSlotErrorParse);
    AssertSameState(&state, &before);
  }
}

static void StoreSavesAndLoads(void** unused) {
  (void)unused;
  char directory[] = "/tmp/slot_state_test.XXXXXX";
  assert_non_null(mkdtemp(directory));
  char path[256];
  snprintf(path, sizeof path, "%s/state", directory);
  SlotState state;
  assert_int_equal(SlotStoreLoad(path, &state), kSlotStoreMissing);

  state = SlotStateInitial();
  SlotMarkPending(&state, kSlotB);
  assert_int_equal(SlotStoreSave(path, &state), kSlotStoreOk);
  SlotState loaded;
  assert_int_equal(SlotStoreLoad(path, &loaded), kSlotStoreOk);
  AssertSameState(&loaded, &state);
  char temporary[300];
  snprintf(temporary, sizeof temporary, "%s.new", path);
  assert_int_equal(access(temporary, F_OK), -1);  // renamed away

  FILE* file = fopen(path, "w");
  assert_non_null(file);
  fputs("active=B\ntries=3\nconfirmed=0\ngarbage\n", file);
  fclose(file);
  assert_int_equal(SlotStoreLoad(path, &loaded), kSlotStoreCorrupt);

  unlink(path);
  rmdir(directory);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(FreshNodeBootsAConfirmed),
      cmocka_unit_test(ConfirmedUpdateStaysOnB),
      cmocka_unit_test(UnconfirmedUpdateFallsBackToAByItself),
      cmocka_unit_test(NoNewPendingSlotDuringATrial),
      cmocka_unit_test(OperatorRollback),
      cmocka_unit_test(StateTextRoundTrips),
      cmocka_unit_test(MalformedStateTextRefused),
      cmocka_unit_test(StoreSavesAndLoads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

// lifeboat-slot: the A/B slot selector (slot_state.h) over a slots directory (update.h).
//
//   lifeboat-slot --slots DIR select          at boot: prints the slot to boot (A or B)
//   lifeboat-slot --slots DIR confirm         the running slot passed its health check
//   lifeboat-slot --slots DIR mark-pending A|B
//   lifeboat-slot --slots DIR rollback
//   lifeboat-slot --slots DIR status
//   lifeboat-slot --slots DIR --key PEM apply BUNDLE
//
// Exit codes: 0 ok, 1 operating error (the message says what), 2 usage.
#include <stdio.h>
#include <string.h>

#include "image/slot/slot_state.h"
#include "image/slot/update.h"

static const char kUsage[] =
    "usage: lifeboat-slot --slots DIR [--key PEM] "
    "select|confirm|status|rollback|mark-pending A|B|apply BUNDLE\n";

static int Usage(void) {
  fputs(kUsage, stderr);
  return 2;
}

static int Report(UpdateResult result, const UpdateMessage* message) {
  fprintf(result == kUpdateOk ? stdout : stderr, "lifeboat-slot: %s\n", message->text);
  return result == kUpdateOk ? 0 : 1;
}

static void PrintStatus(const SlotState* state) {
  printf("active=%c\ntries=%d\nconfirmed=%d\n", SlotLetter(state->active), state->tries_left,
         state->confirmed ? 1 : 0);
}

// Loads the state, applies `command` to it, saves it.
static int Transition(const char* slots, const char* command, const char* argument) {
  SlotState state;
  UpdateMessage message = {{0}};
  UpdateResult result = UpdateLoadState(slots, &state, &message);
  if (result != kUpdateOk) return Report(result, &message);
  if (strcmp(command, "status") == 0) {
    PrintStatus(&state);
    return 0;
  }
  if (strcmp(command, "select") == 0) {
    SlotSelection selection = SlotSelect(&state);
    result = UpdateSaveState(slots, &state, &message);
    if (result != kUpdateOk) return Report(result, &message);
    if (selection.rolled_back) {
      fprintf(stderr, "lifeboat-slot: slot %c ran out of tries unconfirmed: back to slot %c\n",
              SlotLetter(SlotOther(selection.boot)), SlotLetter(selection.boot));
    }
    printf("%c\n", SlotLetter(selection.boot));
    return 0;
  }
  if (strcmp(command, "confirm") == 0) {
    SlotConfirm(&state);
  } else if (strcmp(command, "mark-pending") == 0) {
    SlotName slot;
    if (argument == NULL || strlen(argument) != 1 || !SlotFromLetter(argument[0], &slot)) {
      return Usage();
    }
    SlotError error = SlotMarkPending(&state, slot);
    if (error == kSlotErrorNotConfirmed) {
      fprintf(stderr, "lifeboat-slot: slot %c is on trial: confirm or roll back first\n",
              SlotLetter(state.active));
      return 1;
    }
    if (error == kSlotErrorSameSlot) {
      fprintf(stderr, "lifeboat-slot: slot %c is the active slot\n", SlotLetter(slot));
      return 1;
    }
  } else {
    return Usage();
  }
  result = UpdateSaveState(slots, &state, &message);
  if (result != kUpdateOk) return Report(result, &message);
  PrintStatus(&state);
  return 0;
}

int main(int argc, char** argv) {
  const char* slots = NULL;
  const char* key = "/etc/lifeboat/update-key.pem";
  int i = 1;
  for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
    if (strcmp(argv[i], "--slots") == 0) {
      slots = argv[i + 1];
    } else if (strcmp(argv[i], "--key") == 0) {
      key = argv[i + 1];
    } else {
      return Usage();
    }
  }
  if (slots == NULL || i >= argc) return Usage();
  const char* command = argv[i];
  const char* argument = i + 1 < argc ? argv[i + 1] : NULL;
  if (i + 2 < argc) return Usage();
  UpdateMessage message = {{0}};
  if (strcmp(command, "apply") == 0) {
    if (argument == NULL) return Usage();
    SlotName installed;
    return Report(UpdateApply(slots, key, argument, &installed, &message), &message);
  }
  if (strcmp(command, "rollback") == 0) {
    SlotName active;
    return Report(UpdateRollback(slots, &active, &message), &message);
  }
  return Transition(slots, command, argument);
}

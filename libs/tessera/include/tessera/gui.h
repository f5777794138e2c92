/* Constants of the gui interface (servers/gui/gui.idl) for its clients (libui, tests). */
#ifndef TESSERA_GUI_H
#define TESSERA_GUI_H

/* window_info flags */
#define GUI_WINDOW_FOCUSED 0x1u      /* has keyboard focus (the top window) */
#define GUI_WINDOW_NOT_RESPONDING 0x2u  /* its app has not read its events for GUI_HANG_MS */
#define GUI_WINDOW_VISIBLE 0x4u      /* has had a good commit */

#define GUI_HANG_MS 5000u

#endif

// The console's words, Vietnamese first, English on request (remembered in localStorage).
const words = {
  vi: {
    brand: 'Cổng quản trị dữ liệu', skip: 'Bỏ qua thanh điều hướng', lang: 'English', logout: 'Đăng xuất',
    logout_all: 'Đăng xuất mọi nơi', loading: 'Đang tải…',
    signin: 'Đăng nhập', login: 'Tên đăng nhập', password: 'Mật khẩu', signin_button: 'Đăng nhập',
    overview: 'Tổng quan', review: 'Rà soát trùng lặp', records: 'Hồ sơ', batches: 'Lô dữ liệu', partners: 'Đối tác',
    playground: 'Thử ánh xạ', audit: 'Nhật ký',
    unit: 'Đơn vị', level: 'Cấp học', show: 'Xem', students: 'Học sinh', staff: 'Cán bộ, giáo viên',
    completeness: 'Đầy đủ thông tin', verified: 'Số định danh đã xác thực', freshness: 'Cập nhật đúng hạn',
    lagging: 'Trường chậm cập nhật', no_lagging: 'Không có trường nào chậm cập nhật.', days: 'ngày', never: 'chưa bao giờ',
    name: 'Tên', code: 'Mã', records_count: 'Số hồ sơ', open_items: 'Mục đang chờ', no_items: 'Không có mục nào đang chờ rà soát.',
    score: 'Điểm', record: 'Hồ sơ mới', candidate: 'Hồ sơ có sẵn', field: 'Trường', sources: 'Nguồn',
    merge: 'Gộp (cùng một người)', not_a_match: 'Không trùng', merged: 'Đã gộp vào hồ sơ', kept: 'Đã giữ riêng hai hồ sơ',
    new_school: 'Mã trường chuyển đến', choose_school: 'Chuyển học sinh đến trường này', left_system: 'Học sinh đã rời hệ thống',
    school_chosen: 'Đã quyết định', successors: 'Trường kế tục',
    school_hint: 'Trường đã được chia tách hoặc giải thể: hãy chọn trường mà học sinh này chuyển đến. Trường, lớp, ngày hiệu lực:',
    new_commune: 'Mã phường/xã mới', choose_commune: 'Chọn phường/xã', commune_chosen: 'Đã chọn phường/xã',
    commune_hint: 'Phường/xã cũ đã được chia tách từ 1/7/2025: hãy nhập mã phường/xã mới mà người này thuộc về (một trong các mã nêu trong lý do).',
    entity: 'Loại hồ sơ', id: 'Mã hồ sơ', history: 'Lịch sử và nguồn gốc', value: 'Giá trị', source: 'Nguồn', version: 'Phiên bản',
    status: 'Trạng thái', partner: 'Đối tác', feed: 'Luồng', created: 'Thời điểm', outcome: 'Kết quả', errors: 'Lỗi',
    new_partner: 'Thêm đối tác', scopes: 'Quyền (cách nhau bởi dấu cách)', units: 'Đơn vị (cách nhau bởi dấu cách)',
    create: 'Tạo', rotate: 'Đổi mã', revoke: 'Thu hồi', revoked: 'Đã thu hồi', active: 'Đang hoạt động',
    token_once: 'Mã truy cập (chỉ hiện một lần, hãy lưu lại ngay):', confirm_revoke: 'Thu hồi đối tác này?',
    mapping: 'Ánh xạ', payload: 'Dữ liệu của nhà cung cấp (JSON)', run: 'Chạy thử', result: 'Kết quả',
    actor: 'Người thực hiện', action: 'Thao tác', target: 'Đối tượng', at: 'Thời điểm', filter: 'Lọc',
    forbidden: 'Bạn không có quyền xem trang này.', back: 'Quay lại',
    correct: 'Sửa', correct_title: 'Sửa một giá trị', new_value: 'Giá trị mới', reason: 'Lý do sửa', corrected: 'Đã sửa',
    original: 'Bản ghi gốc của nhà cung cấp', show_original: 'Xem bản gốc',
    all: 'tất cả', error_code: 'Mã lỗi', canonical: 'Hồ sơ chuẩn', first_1000: 'Chỉ hiện 1000 bản ghi đầu của lô.',
    mappings: 'Ánh xạ dữ liệu', reload: 'Nạp lại ánh xạ', reloaded: 'Đã nạp lại, số ánh xạ', generation: 'Lần nạp', load_errors: 'Lỗi khi nạp',
    unmerge: 'Tách hồ sơ đã gộp', unmerged: 'Đã tách; hai hồ sơ trở lại như trước khi gộp', confirm_unmerge: 'Tách hồ sơ này khỏi hồ sơ đã gộp vào?', merged_from: 'Hồ sơ đã gộp vào hồ sơ này',
    sync: 'Đồng bộ', consumer: 'Bên nhận', sink: 'Kênh', cursor: 'Con trỏ', lag: 'Chưa gửi', delivered: 'Đã gửi', attempts: 'Số lần thử',
    dead_letters: 'Lô gửi thất bại', last_success: 'Gửi thành công lần cuối', last_error: 'Lỗi gần nhất', replay: 'Gửi lại',
    from_seq: 'từ số thứ tự', confirm_replay: 'Gửi lại mọi thay đổi cho', replay_set: 'sẽ nhận lại mọi thay đổi từ số',
    no_consumers: 'Chưa có bên nhận nào được cấu hình đẩy dữ liệu.', no_dead_letters: 'Không có lô nào gửi thất bại.',
    first_seq: 'Từ số', last_seq: 'Đến số', changes: 'Số thay đổi',
    sync_paused: 'Tạm dừng', sync_retrying: 'Đang thử lại', sync_behind: 'Đang chậm', sync_current: 'Đã cập nhật',
    search: 'Tìm hồ sơ', search_name: 'Họ tên hoặc tên trường (không cần dấu)', find: 'Tìm', no_results: 'Không tìm thấy hồ sơ nào.',
    previous: 'Trang trước', next: 'Trang sau', truncated: 'Quá nhiều kết quả trùng tên; hãy gõ tên đầy đủ hơn.',
    kind_student: 'Học sinh', kind_staff: 'Cán bộ, giáo viên', kind_school: 'Trường',
    correct_help: 'Tạo phiên bản mới của hồ sơ; nguồn gốc của giá trị ghi tên bạn và lý do. Để trống giá trị mới để xóa giá trị.',
  },
  en: {
    brand: 'Data hub console', skip: 'Skip navigation', lang: 'Tiếng Việt', logout: 'Sign out',
    logout_all: 'Sign out everywhere', loading: 'Loading…',
    signin: 'Sign in', login: 'Login', password: 'Password', signin_button: 'Sign in',
    overview: 'Overview', review: 'Review', records: 'Records', batches: 'Batches', partners: 'Partners',
    playground: 'Mapping playground', audit: 'Audit',
    unit: 'Unit', level: 'School level', show: 'Show', students: 'Students', staff: 'Staff',
    completeness: 'Completeness', verified: 'Verified personal IDs', freshness: 'On-time updates',
    lagging: 'Schools that lag', no_lagging: 'No school lags.', days: 'days', never: 'never',
    name: 'Name', code: 'Code', records_count: 'Records', open_items: 'Open items', no_items: 'No open review items.',
    score: 'Score', record: 'New record', candidate: 'Existing record', field: 'Field', sources: 'Sources',
    merge: 'Merge (same person)', not_a_match: 'Not a match', merged: 'Merged into record', kept: 'Both records kept apart',
    new_school: 'Code of the school the student goes to', choose_school: 'Move the student to this school', left_system: 'The student left the system',
    school_chosen: 'Decided', successors: 'Successor schools',
    school_hint: 'The school was split or dissolved: choose the school this student goes to. School, class, effective date:',
    new_commune: 'New commune code', choose_commune: 'Choose the commune', commune_chosen: 'Commune chosen',
    commune_hint: 'The old commune was split on 1 July 2025: enter the code of the new commune this person belongs to (one of those the reason names).',
    entity: 'Entity', id: 'Record id', history: 'History and lineage', value: 'Value', source: 'Source', version: 'Version',
    status: 'Status', partner: 'Partner', feed: 'Feed', created: 'At', outcome: 'Outcome', errors: 'Errors',
    new_partner: 'New partner', scopes: 'Scopes (space separated)', units: 'Units (space separated)',
    create: 'Create', rotate: 'Rotate token', revoke: 'Revoke', revoked: 'Revoked', active: 'Active',
    token_once: 'Token (shown once, store it now):', confirm_revoke: 'Revoke this partner?',
    mapping: 'Mapping', payload: 'Vendor payload (JSON)', run: 'Run', result: 'Result',
    actor: 'Actor', action: 'Action', target: 'Target', at: 'At', filter: 'Filter',
    forbidden: 'You may not open this page.', back: 'Back',
    correct: 'Correct', correct_title: 'Correct a value', new_value: 'New value', reason: 'Reason', corrected: 'Corrected',
    original: 'Vendor original', show_original: 'Show original',
    all: 'all', error_code: 'Error code', canonical: 'Canonical records', first_1000: 'The first 1000 records of the batch only.',
    mappings: 'Mappings', reload: 'Reload mappings', reloaded: 'Reloaded, mappings', generation: 'Generation', load_errors: 'Load errors',
    unmerge: 'Unmerge', unmerged: 'Unmerged: both records are back as before the merge', confirm_unmerge: 'Undo the merge of this record?', merged_from: 'Records merged into this one',
    sync: 'Sync', consumer: 'Consumer', sink: 'Sink', cursor: 'Cursor', lag: 'Lag', delivered: 'Delivered', attempts: 'Attempts',
    dead_letters: 'Dead letters', last_success: 'Last success', last_error: 'Last error', replay: 'Replay',
    from_seq: 'from seq', confirm_replay: 'Send every change again to', replay_set: 'will receive every change again from seq',
    no_consumers: 'No consumer is configured for push.', no_dead_letters: 'No dead letters.',
    first_seq: 'First seq', last_seq: 'Last seq', changes: 'Changes',
    sync_paused: 'Paused', sync_retrying: 'Retrying', sync_behind: 'Behind', sync_current: 'Current',
    search: 'Find records', search_name: 'Name of the person or school (diacritics optional)', find: 'Find', no_results: 'No record found.',
    previous: 'Previous', next: 'Next', truncated: 'Too many names match; type more of the name.',
    kind_student: 'Student', kind_staff: 'Staff', kind_school: 'School',
    correct_help: 'Writes a new version of the record; the lineage of the value names you and your reason. Leave the new value empty to clear it.',
  },
};

export let lang = localStorage.getItem('console.lang') === 'en' ? 'en' : 'vi';

export function t(key) {
  return words[lang][key] ?? words.vi[key] ?? key;
}

export function switchLang() {
  lang = lang === 'vi' ? 'en' : 'vi';
  localStorage.setItem('console.lang', lang);
  document.documentElement.lang = lang;
}

// The problem's message in the console's language: the hub answers both.
export function problemText(p) {
  if (!p) return '';
  return (lang === 'vi' && p.message_vi) ? p.message_vi : (p.detail || p.title || String(p.status));
}
